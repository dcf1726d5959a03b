import { createRoot } from 'react-dom/client';
import { App } from './App';
import './styles.css';

const saved = localStorage.getItem('flotilla.theme');
document.documentElement.dataset.theme = saved ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
createRoot(document.getElementById('root')!).render(<App />);
